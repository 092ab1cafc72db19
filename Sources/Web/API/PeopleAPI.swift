import Foundation
import Kernel
import OpenAPIRuntime
import People
import Platform

/// Employees and the organisation over the API. Every answer is already redacted by `PeopleViewer`.
extension APIHandler {
    func listEmployees(_ input: Operations.ListEmployees.Input) async throws -> Operations.ListEmployees.Output {
        let query = input.query
        let filter = PeopleService.Filter(
            search: query.q, department: query.department,
            status: query.status.flatMap { Employee.Status(rawValue: $0.rawValue) },
            asOf: try query.asOf.map { text throws(DomainError) in try CivilDate.parse(text, field: "asOf") },
            sort: query.sort.flatMap { PeopleService.Filter.Sort(rawValue: $0.rawValue) } ?? .name,
            limit: query.limit ?? 100, offset: query.offset ?? 0)
        let people = request.people
        let (employees, total) = try await people.employees(filter, by: try request.requirePrincipal())
        let directory = try await people.directory()
        return .ok(.init(body: .json(.init(items: employees.map { $0.api(directory) }, total: total))))
    }

    func hireEmployee(_ input: Operations.HireEmployee.Input) async throws -> Operations.HireEmployee.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let people = request.people
        let employee = try await people.hire(body.input, idempotencyKey: input.headers.idempotencyKey, by: principal)
        // The answer is what the caller may see of the new record.
        let seen = try await people.employee(employee.id, by: principal)
        return .created(.init(body: .json(seen.api(try await people.directory()))))
    }

    func getEmployee(_ input: Operations.GetEmployee.Input) async throws -> Operations.GetEmployee.Output {
        let asOf = try input.query.asOf.map { text throws(DomainError) in try CivilDate.parse(text, field: "asOf") }
        let people = request.people
        let employee = try await people.employee(input.path.reference, asOf: asOf, by: try request.requirePrincipal())
        return .ok(.init(body: .json(employee.api(try await people.directory()))))
    }

    func getEmployeeHistory(_ input: Operations.GetEmployeeHistory.Input) async throws -> Operations.GetEmployeeHistory.Output {
        let people = request.people
        let history = try await people.history(input.path.reference, by: try request.requirePrincipal())
        let directory = try await people.directory()
        return .ok(.init(body: .json(.init(items: history.map { $0.api(directory) }))))
    }

    func changeEmployee(_ input: Operations.ChangeEmployee.Input) async throws -> Operations.ChangeEmployee.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let people = request.people
        let changed = try await people.change(input.path.reference, ChangeInput(
            effectiveDate: body.effectiveDate, reason: body.reason?.rawValue, job: body.job.input), by: principal)
        let seen = try await people.employee(changed.id, by: principal)
        return .ok(.init(body: .json(seen.api(try await people.directory()))))
    }

    func terminateEmployee(_ input: Operations.TerminateEmployee.Input) async throws -> Operations.TerminateEmployee.Output {
        let principal = try request.requirePrincipal()
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let people = request.people
        let employee = try await people.terminate(input.path.reference, leavingDate: body.leavingDate, note: body.note,
                                                  by: principal)
        let seen = try await people.employee(employee.id, by: principal)
        return .ok(.init(body: .json(seen.api(try await people.directory()))))
    }

    func updateEmployeeContacts(_ input: Operations.UpdateEmployeeContacts.Input) async throws
        -> Operations.UpdateEmployeeContacts.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let people = request.people
        let employee = try await people.updateContacts(input.path.reference, ContactInput(
            workPhone: body.workPhone, privateEmail: body.privateEmail, privatePhone: body.privatePhone,
            homeAddress: body.homeAddress?.address, emergencyContacts: body.emergencyContacts?.map(\.contact)),
            by: try request.requirePrincipal())
        return .ok(.init(body: .json(employee.api(try await people.directory()))))
    }

    func getMyEmployee(_ input: Operations.GetMyEmployee.Input) async throws -> Operations.GetMyEmployee.Output {
        let people = request.people
        let employee = try await people.me(by: try request.requirePrincipal())
        return .ok(.init(body: .json(employee.api(try await people.directory()))))
    }

    func listDepartments(_ input: Operations.ListDepartments.Input) async throws -> Operations.ListDepartments.Output {
        _ = try request.requirePrincipal()
        let departments = try await request.people.departments()
        let codes = Dictionary(uniqueKeysWithValues: departments.map { ($0.id, $0.code) })
        return .ok(.init(body: .json(.init(items: departments.map {
            .init(code: $0.code, name: $0.name, parent: $0.parentID.flatMap { codes[$0] })
        }))))
    }

    func createDepartment(_ input: Operations.CreateDepartment.Input) async throws -> Operations.CreateDepartment.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let department = try await request.people.createDepartment(code: body.code, name: body.name, parent: body.parent,
                                                                   by: try request.requirePrincipal())
        return .created(.init(body: .json(.init(code: department.code, name: department.name, parent: body.parent))))
    }

    func listPositions(_ input: Operations.ListPositions.Input) async throws -> Operations.ListPositions.Output {
        _ = try request.requirePrincipal()
        let people = request.people
        let directory = try await people.directory()
        return .ok(.init(body: .json(.init(items: try await people.positions().map { $0.api(directory) }))))
    }

    func createPosition(_ input: Operations.CreatePosition.Input) async throws -> Operations.CreatePosition.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let people = request.people
        let position = try await people.createPosition(code: body.code, title: body.title, department: body.department,
                                                       budgetedHeadcount: body.budgetedHeadcount,
                                                       by: try request.requirePrincipal())
        return .created(.init(body: .json(position.api(try await people.directory()))))
    }

    func listLocations(_ input: Operations.ListLocations.Input) async throws -> Operations.ListLocations.Output {
        _ = try request.requirePrincipal()
        return .ok(.init(body: .json(.init(items: try await request.people.locations().map {
            .init(code: $0.code, name: $0.name, country: $0.country)
        }))))
    }

    func createLocation(_ input: Operations.CreateLocation.Input) async throws -> Operations.CreateLocation.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let location = try await request.people.createLocation(code: body.code, name: body.name, country: body.country,
                                                               by: try request.requirePrincipal())
        return .created(.init(body: .json(.init(code: location.code, name: location.name, country: location.country))))
    }
}

extension Employee {
    func api(_ directory: PeopleService.Directory) -> Components.Schemas.Employee {
        .init(id: id, number: number, legalName: legalName, preferredName: preferredName, workEmail: workEmail,
              workPhone: workPhone, status: .init(rawValue: status.rawValue)!, hireDate: hireDate.description,
              leavingDate: leavingDate?.description, job: assignment?.api(directory),
              personal: personal.map { personal in
                  .init(birthDate: personal.birthDate?.description, nationalId: personal.nationalID,
                        homeAddress: personal.homeAddress.api, privateEmail: personal.privateEmail,
                        privatePhone: personal.privatePhone,
                        emergencyContacts: personal.emergencyContacts.map { .init(name: $0.name, relation: $0.relation, phone: $0.phone) })
              },
              bank: bank.map { .init(iban: $0.iban, bic: $0.bic) },
              hidden: hidden.map { .init(rawValue: $0.rawValue)! })
    }
}

extension Assignment {
    func api(_ directory: PeopleService.Directory) -> Components.Schemas.Job {
        .init(effectiveDate: effectiveDate.description, reason: .init(rawValue: reason.rawValue)!,
              position: directory.position(positionID)?.code, department: directory.department(departmentID)?.code,
              manager: directory.employee(managerID)?.number, managerName: directory.employee(managerID)?.name,
              location: directory.location(locationID)?.code, contractType: .init(rawValue: contractType.rawValue)!,
              weeklyHours: "\(weeklyHours)", fte: "\(fte)",
              salary: salary.map { Money(minorUnits: $0, currency: currency ?? .eur).decimalString }, currency: currency?.code,
              payFrequency: payFrequency.flatMap { .init(rawValue: $0.rawValue) }, note: note)
    }
}

extension Position {
    func api(_ directory: PeopleService.Directory) -> Components.Schemas.Position {
        .init(code: code, title: title, department: directory.department(departmentID)?.code,
              budgetedHeadcount: budgetedHeadcount, filled: filled, open: open)
    }
}

extension Components.Schemas.EmergencyContact {
    var contact: EmergencyContact { EmergencyContact(name: name, relation: relation, phone: phone) }
}

extension Components.Schemas.JobInput {
    var input: AssignmentInput {
        AssignmentInput(position: position, department: department, manager: manager, location: location,
                        contractType: contractType, weeklyHours: weeklyHours, fte: fte, salary: salary, currency: currency,
                        payFrequency: payFrequency, note: note)
    }
}

extension Components.Schemas.HireInput {
    var input: HireInput {
        HireInput(number: number, legalName: legalName, preferredName: preferredName, workEmail: workEmail,
                  workPhone: workPhone, hireDate: hireDate, user: user,
                  personal: personal.map { personal in
                      PersonalInput(birthDate: personal.birthDate, nationalID: personal.nationalId,
                                    homeAddress: personal.homeAddress?.address, privateEmail: personal.privateEmail,
                                    privatePhone: personal.privatePhone,
                                    emergencyContacts: personal.emergencyContacts?.map(\.contact))
                  },
                  bank: bank.map { BankInput(iban: $0.iban, bic: $0.bic) }, job: job.input)
    }
}

/// Leave over the API.
extension APIHandler {
    func listLeaveTypes(_ input: Operations.ListLeaveTypes.Input) async throws -> Operations.ListLeaveTypes.Output {
        _ = try request.requirePrincipal()
        return .ok(.init(body: .json(.init(items: try await request.people.leaveTypes().map(\.api)))))
    }

    func createLeaveType(_ input: Operations.CreateLeaveType.Input) async throws -> Operations.CreateLeaveType.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let type = try await request.people.createLeaveType(
            LeaveTypeInput(code: body.code, name: body.name, paid: body.paid ?? true, limited: body.limited ?? true,
                           annualDays: body.annualDays, accrual: body.accrual?.rawValue, carryOverMax: body.carryOverMax,
                           carryOverExpiry: body.carryOverExpiry), by: try request.requirePrincipal())
        return .created(.init(body: .json(type.api)))
    }

    func listHolidays(_ input: Operations.ListHolidays.Input) async throws -> Operations.ListHolidays.Output {
        _ = try request.requirePrincipal()
        let holidays = try await request.people.holidays(year: input.query.year)
        return .ok(.init(body: .json(.init(items: holidays.map {
            .init(date: $0.date.description, name: $0.name, location: $0.location)
        }))))
    }

    func importHolidays(_ input: Operations.ImportHolidays.Input) async throws -> Operations.ImportHolidays.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let added = try await request.people.importHolidays(body.csv, by: try request.requirePrincipal())
        return .ok(.init(body: .json(.init(added: added))))
    }

    func listLeaveRequests(_ input: Operations.ListLeaveRequests.Input) async throws -> Operations.ListLeaveRequests.Output {
        let query = input.query
        let requests = try await request.people.leaveRequests(
            employee: query.employee, status: query.status.flatMap { LeaveRequest.Status(rawValue: $0.rawValue) },
            from: try query.from.map { text throws(DomainError) in try CivilDate.parse(text, field: "from") },
            to: try query.to.map { text throws(DomainError) in try CivilDate.parse(text, field: "to") },
            by: try request.requirePrincipal())
        return .ok(.init(body: .json(.init(items: requests.map(\.api)))))
    }

    func requestLeave(_ input: Operations.RequestLeave.Input) async throws -> Operations.RequestLeave.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let leave = try await request.people.requestLeave(
            LeaveRequestInput(employee: body.employee, type: body._type, start: body.start, end: body.end,
                              halfStart: body.halfStart, halfEnd: body.halfEnd, note: body.note),
            by: try request.requirePrincipal())
        return .created(.init(body: .json(leave.api)))
    }

    func decideLeave(_ input: Operations.DecideLeave.Input) async throws -> Operations.DecideLeave.Output {
        var note: String?
        if case .json(let body) = input.body { note = body.note }
        let decision = PeopleService.LeaveDecision(rawValue: input.path.decision.rawValue)!
        let leave = try await request.people.decideLeave(input.path.id, decision, note: note, by: try request.requirePrincipal())
        return .ok(.init(body: .json(leave.api)))
    }

    func getLeaveBalances(_ input: Operations.GetLeaveBalances.Input) async throws -> Operations.GetLeaveBalances.Output {
        let asOf = try input.query.asOf.map { text throws(DomainError) in try CivilDate.parse(text, field: "asOf") }
        let balances = try await request.people.leaveBalances(input.path.reference, year: input.query.year, asOf: asOf,
                                                              by: try request.requirePrincipal())
        return .ok(.init(body: .json(.init(items: balances.map { type, balance in
            .init(_type: type.code, year: balance.year, entitled: "\(balance.entitled)", carriedOver: "\(balance.carriedOver)",
                  lapsed: "\(balance.lapsed)", taken: "\(balance.taken)", pending: "\(balance.pending)",
                  available: "\(balance.available)")
        }))))
    }
}

extension LeaveType {
    var api: Components.Schemas.LeaveType {
        .init(code: code, name: name, paid: paid, limited: limited, annualDays: "\(annualDays)",
              accrual: .init(rawValue: accrual.rawValue)!, carryOverMax: "\(carryOverMax)",
              carryOverExpiry: String(format: "%02d-%02d", carryOverExpiryMonth, carryOverExpiryDay))
    }
}

extension LeaveRequest {
    var api: Components.Schemas.LeaveRequest {
        .init(id: id, employee: employeeNumber, employeeName: employeeName, _type: typeCode, start: start.description,
              end: end.description, halfStart: halfStart, halfEnd: halfEnd, days: "\(days)",
              status: .init(rawValue: status.rawValue)!, note: note, decidedBy: decidedBy, decidedAt: decidedAt,
              decisionNote: decisionNote)
    }
}

/// Onboarding and offboarding tasks, checklists and recruiting over the API.
extension APIHandler {
    func listTasks(_ input: Operations.ListTasks.Input) async throws -> Operations.ListTasks.Output {
        let people = request.people
        let status: PeopleTask.Status? = switch input.query.status {
        case .done: .done
        case .all: nil
        default: .open
        }
        let tasks = try await people.tasks(status: status, employee: input.query.employee, by: try request.requirePrincipal())
        let today = try await people.today()
        return .ok(.init(body: .json(.init(items: tasks.map { $0.api(today: today) }))))
    }

    func completeTask(_ input: Operations.CompleteTask.Input) async throws -> Operations.CompleteTask.Output {
        let people = request.people
        let task = try await people.completeTask(input.path.id, by: try request.requirePrincipal())
        return .ok(.init(body: .json(task.api(today: try await people.today()))))
    }

    func listChecklists(_ input: Operations.ListChecklists.Input) async throws -> Operations.ListChecklists.Output {
        _ = try request.requirePrincipal()
        return .ok(.init(body: .json(.init(items: try await request.people.checklists().map(\.api)))))
    }

    func createChecklist(_ input: Operations.CreateChecklist.Input) async throws -> Operations.CreateChecklist.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let checklist = try await request.people.createChecklist(
            code: body.code, name: body.name, kind: Checklist.Kind(rawValue: body.kind.rawValue)!,
            items: body.items.map { .init(title: $0.title, owner: Checklist.Owner(rawValue: $0.owner.rawValue)!,
                                          dueOffsetDays: $0.dueOffsetDays) },
            by: try request.requirePrincipal())
        return .created(.init(body: .json(checklist.api)))
    }

    func listOpenings(_ input: Operations.ListOpenings.Input) async throws -> Operations.ListOpenings.Output {
        try require(try request.requirePrincipal(), Permission("people", .write))
        let people = request.people
        let directory = try await people.directory()
        return .ok(.init(body: .json(.init(items: try await people.openings().map { $0.api(directory) }))))
    }

    func createOpening(_ input: Operations.CreateOpening.Input) async throws -> Operations.CreateOpening.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let people = request.people
        let opening = try await people.createOpening(code: body.code, title: body.title, position: body.position,
                                                     by: try request.requirePrincipal())
        return .created(.init(body: .json(opening.api(try await people.directory()))))
    }

    func listCandidates(_ input: Operations.ListCandidates.Input) async throws -> Operations.ListCandidates.Output {
        let people = request.people
        let currency = try await people.companyCurrencyCode()
        return .ok(.init(body: .json(.init(items: try await people.candidates(opening: input.query.opening,
                                                                            by: try request.requirePrincipal())
            .map { $0.api(currency) }))))
    }

    func addCandidate(_ input: Operations.AddCandidate.Input) async throws -> Operations.AddCandidate.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let people = request.people
        let candidate = try await people.addCandidate(opening: body.opening, name: body.name, email: body.email,
                                                      phone: body.phone, notes: body.notes, by: try request.requirePrincipal())
        return .created(.init(body: .json(candidate.api(try await people.companyCurrencyCode()))))
    }

    func moveCandidate(_ input: Operations.MoveCandidate.Input) async throws -> Operations.MoveCandidate.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let people = request.people
        let candidate = try await people.moveCandidate(input.path.id, to: Candidate.Stage(rawValue: body.stage.rawValue)!,
                                                       offerSalary: body.offerSalary, offerStart: body.offerStart,
                                                       by: try request.requirePrincipal())
        return .ok(.init(body: .json(candidate.api(try await people.companyCurrencyCode()))))
    }

    func recordInterview(_ input: Operations.RecordInterview.Input) async throws -> Operations.RecordInterview.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        _ = try await request.people.recordInterview(candidate: input.path.id, date: body.date, interviewers: body.interviewers,
                                                     score: body.score, notes: body.notes, by: try request.requirePrincipal())
        return .created(.init())
    }

    func hireCandidate(_ input: Operations.HireCandidate.Input) async throws -> Operations.HireCandidate.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let principal = try request.requirePrincipal()
        let people = request.people
        let employee = try await people.hireCandidate(input.path.id, HireInput(
            legalName: "", workEmail: body.workEmail, hireDate: body.hireDate ?? "", user: body.user,
            job: body.job?.input ?? AssignmentInput()), by: principal)
        let seen = try await people.employee(employee.id, by: principal)
        return .created(.init(body: .json(seen.api(try await people.directory()))))
    }
}

extension PeopleTask {
    func api(today: CivilDate) -> Components.Schemas.Task {
        .init(id: id, employee: employeeNumber, employeeName: employeeName, kind: .init(rawValue: kind.rawValue)!, title: title,
              owner: .init(rawValue: owner.rawValue)!, dueDate: dueDate.description, status: .init(rawValue: status.rawValue)!,
              overdue: isOverdue(today: today), doneBy: doneBy, doneAt: doneAt)
    }
}

extension Checklist {
    var api: Components.Schemas.Checklist {
        .init(code: code, name: name, kind: .init(rawValue: kind.rawValue)!, items: items.map {
            .init(title: $0.title, owner: .init(rawValue: $0.owner.rawValue)!, dueOffsetDays: $0.dueOffsetDays)
        })
    }
}

extension Opening {
    func api(_ directory: PeopleService.Directory) -> Components.Schemas.Opening {
        .init(code: code, title: title, position: directory.position(positionID)?.code, status: .init(rawValue: status.rawValue)!,
              candidates: candidates)
    }
}

extension Candidate {
    func api(_ currency: Currency) -> Components.Schemas.Candidate {
        .init(id: id, opening: openingCode, name: name, email: email, phone: phone, stage: .init(rawValue: stage.rawValue)!,
              notes: notes, offerSalary: offerSalary.map { Money(minorUnits: $0, currency: currency).decimalString },
              offerStart: offerStart?.description, employee: employeeID, appliedAt: appliedAt, anonymised: anonymised)
    }
}

/// Cases, timesheets and training over the API.
extension APIHandler {
    func listCases(_ input: Operations.ListCases.Input) async throws -> Operations.ListCases.Output {
        let cases = try await request.people.cases(employee: input.query.employee,
                                                   status: input.query.status.flatMap { PeopleCase.Status(rawValue: $0.rawValue) },
                                                   by: try request.requirePrincipal())
        return .ok(.init(body: .json(.init(items: cases.map(\.api)))))
    }

    func openCase(_ input: Operations.OpenCase.Input) async throws -> Operations.OpenCase.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let opened = try await request.people.openCase(employee: body.employee, kind: PeopleCase.Kind(rawValue: body.kind.rawValue)!,
                                                       title: body.title, parties: body.parties, openedOn: body.openedOn,
                                                       by: try request.requirePrincipal())
        return .created(.init(body: .json(opened.api)))
    }

    func getCase(_ input: Operations.GetCase.Input) async throws -> Operations.GetCase.Output {
        .ok(.init(body: .json(try await request.people.peopleCase(input.path.reference, by: try request.requirePrincipal()).api)))
    }

    func addCaseNote(_ input: Operations.AddCaseNote.Input) async throws -> Operations.AddCaseNote.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        return .ok(.init(body: .json(try await request.people.addCaseNote(input.path.reference, text: body.text,
                                                                          by: try request.requirePrincipal()).api)))
    }

    func closeCase(_ input: Operations.CloseCase.Input) async throws -> Operations.CloseCase.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        return .ok(.init(body: .json(try await request.people.closeCase(input.path.reference, outcome: body.outcome,
                                                                        closedOn: body.closedOn,
                                                                        by: try request.requirePrincipal()).api)))
    }

    func listTimesheets(_ input: Operations.ListTimesheets.Input) async throws -> Operations.ListTimesheets.Output {
        let sheets = try await request.people.timesheets(status: input.query.status.flatMap { Timesheet.Status(rawValue: $0.rawValue) },
                                                         employee: input.query.employee, by: try request.requirePrincipal())
        return .ok(.init(body: .json(.init(items: sheets.map(\.api)))))
    }

    func saveTimesheet(_ input: Operations.SaveTimesheet.Input) async throws -> Operations.SaveTimesheet.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        var lines: [TimesheetLine] = []
        for (index, line) in body.lines.enumerated() {
            let hours = try line.hours.enumerated().map { day, text throws(DomainError) -> Decimal in
                guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
                    throw .invalid("people.timesheet.hours_invalid", "Line \(index + 1): '\(text)' is not a number of hours",
                                   field: "lines[\(index)].hours[\(day)]")
                }
                return value
            }
            lines.append(TimesheetLine(project: line.project, hours: hours))
        }
        let sheet = try await request.people.saveTimesheet(body.employee, week: try CivilDate.parse(body.week, field: "week"),
                                                           lines: lines, submit: body.submit ?? false,
                                                           by: try request.requirePrincipal())
        return .ok(.init(body: .json(sheet.api)))
    }

    func decideTimesheet(_ input: Operations.DecideTimesheet.Input) async throws -> Operations.DecideTimesheet.Output {
        let sheet = try await request.people.decideTimesheet(input.path.id, approve: input.path.decision == .approve,
                                                             by: try request.requirePrincipal())
        return .ok(.init(body: .json(sheet.api)))
    }

    func listCourses(_ input: Operations.ListCourses.Input) async throws -> Operations.ListCourses.Output {
        _ = try request.requirePrincipal()
        return .ok(.init(body: .json(.init(items: try await request.people.courses().map {
            .init(code: $0.code, title: $0.title, validityMonths: $0.validityMonths, mandatoryFor: $0.mandatoryFor)
        }))))
    }

    func createCourse(_ input: Operations.CreateCourse.Input) async throws -> Operations.CreateCourse.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let course = try await request.people.createCourse(code: body.code, title: body.title, validityMonths: body.validityMonths,
                                                           mandatoryFor: body.mandatoryFor ?? [], by: try request.requirePrincipal())
        return .created(.init(body: .json(.init(code: course.code, title: course.title, validityMonths: course.validityMonths,
                                                mandatoryFor: course.mandatoryFor))))
    }

    func createSession(_ input: Operations.CreateSession.Input) async throws -> Operations.CreateSession.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        let session = try await request.people.createSession(course: input.path.code, date: body.date, place: body.place,
                                                             capacity: body.capacity, by: try request.requirePrincipal())
        return .created(.init(body: .json(.init(id: session.id, course: session.courseCode, date: session.date.description,
                                                place: session.place, capacity: session.capacity, enrolled: session.enrolled))))
    }

    func enrol(_ input: Operations.Enrol.Input) async throws -> Operations.Enrol.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        return .created(.init(body: .json(try await request.people.enrol(session: input.path.id, employee: body.employee,
                                                                         by: try request.requirePrincipal()).api)))
    }

    func completeEnrolment(_ input: Operations.CompleteEnrolment.Input) async throws -> Operations.CompleteEnrolment.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        return .ok(.init(body: .json(try await request.people.completeEnrolment(input.path.id, on: body.completedOn,
                                                                                by: try request.requirePrincipal()).api)))
    }

    func listTrainings(_ input: Operations.ListTrainings.Input) async throws -> Operations.ListTrainings.Output {
        let principal = try request.requirePrincipal()
        let people = request.people
        let result: [Enrolment]
        if let days = input.query.expiringWithin {
            result = try await people.expiringCertifications(within: days, by: principal)
        } else {
            result = try await people.trainings(employee: input.query.employee, by: principal)
        }
        return .ok(.init(body: .json(.init(items: result.map { $0.api }))))
    }
}

extension PeopleCase {
    var api: Components.Schemas.Case {
        .init(number: number, employee: employeeNumber, employeeName: employeeName, kind: .init(rawValue: kind.rawValue)!,
              title: title, parties: parties, openedOn: openedOn.description, closedOn: closedOn?.description, outcome: outcome,
              status: .init(rawValue: status.rawValue)!, notes: notes.map { .init(at: $0.at, author: $0.author, text: $0.text) })
    }
}

extension Timesheet {
    var api: Components.Schemas.Timesheet {
        .init(id: id, employee: employeeNumber, employeeName: employeeName, weekStart: weekStart.description,
              status: .init(rawValue: status.rawValue)!,
              lines: lines.map { .init(project: $0.project, hours: $0.hours.map { "\($0)" }) },
              total: "\(total)", contractedHours: "\(contractedHours)", overtime: "\(overtime)", decidedBy: decidedBy)
    }
}

extension Enrolment {
    var api: Components.Schemas.Enrolment {
        .init(id: id, employee: employeeNumber, employeeName: employeeName, course: courseCode,
              sessionDate: sessionDate.description, status: .init(rawValue: status.rawValue)!,
              completedOn: completedOn?.description, expiresOn: expiresOn?.description)
    }
}

/// HR reports over the API.
extension APIHandler {
    func headcountReport(_ input: Operations.HeadcountReport.Input) async throws -> Operations.HeadcountReport.Output {
        let asOf = try input.query.asOf.map { text throws(DomainError) in try CivilDate.parse(text, field: "asOf") }
        let report = try await request.people.headcount(months: input.query.months ?? 12, asOf: asOf,
                                                        by: try request.requirePrincipal())
        return .ok(.init(body: .json(.init(departments: report.departments, months: report.months.map { month in
            .init(end: month.end.description, total: month.total,
                  byDepartment: month.byDepartment.sorted { $0.key < $1.key }.map { .init(department: $0.key, count: $0.value) })
        }))))
    }

    func turnoverReport(_ input: Operations.TurnoverReport.Input) async throws -> Operations.TurnoverReport.Output {
        let report = try await request.people.turnover(from: try CivilDate.parse(input.query.from, field: "from"),
                                                       to: try CivilDate.parse(input.query.to, field: "to"),
                                                       by: try request.requirePrincipal())
        func ref(_ employee: Employee) -> Components.Schemas.PersonRef {
            .init(employee: employee.number, name: employee.displayName, hireDate: employee.hireDate.description,
                  leavingDate: employee.leavingDate?.description)
        }
        return .ok(.init(body: .json(.init(from: report.from.description, to: report.to.description,
                                           headcountStart: report.headcountStart, headcountEnd: report.headcountEnd,
                                           turnoverPercent: "\(report.turnoverPercent)", joiners: report.joiners.map(ref),
                                           leavers: report.leavers.map(ref)))))
    }

    func leaveLiabilityReport(_ input: Operations.LeaveLiabilityReport.Input) async throws -> Operations.LeaveLiabilityReport.Output {
        let asOf = try input.query.asOf.map { text throws(DomainError) in try CivilDate.parse(text, field: "asOf") }
        let people = request.people
        let lines = try await people.leaveLiability(asOf: asOf, by: try request.requirePrincipal())
        let currency = try await people.companyCurrencyCode()
        func money(_ value: Int64) -> String { Money(minorUnits: value, currency: currency).decimalString }
        return .ok(.init(body: .json(.init(currency: currency.code, total: money(lines.reduce(0) { $0 + $1.amount }),
                                           items: lines.map {
            .init(employee: $0.employee.number, name: $0.employee.displayName, availableDays: "\($0.availableDays)",
                  dailyRate: money($0.dailyRate), amount: money($0.amount))
        }))))
    }
}

/// Employee documents over the API.
extension APIHandler {
    func listEmployeeDocuments(_ input: Operations.ListEmployeeDocuments.Input) async throws
        -> Operations.ListEmployeeDocuments.Output {
        let documents = try await request.people.documents(input.path.reference, by: try request.requirePrincipal())
        return .ok(.init(body: .json(.init(items: documents.map(\.api)))))
    }

    func attachEmployeeDocument(_ input: Operations.AttachEmployeeDocument.Input) async throws
        -> Operations.AttachEmployeeDocument.Output {
        guard case .json(let body) = input.body else { throw Self.jsonRequired }
        guard let data = Data(base64Encoded: body.contentBase64) else {
            throw DomainError.invalid("people.document.base64_invalid", "contentBase64 is not base64", field: "contentBase64")
        }
        let document = try await request.people.attachDocument(
            input.path.reference, title: body.title, kind: EmployeeDocument.Kind(rawValue: body.kind.rawValue)!,
            confidentiality: EmployeeDocument.Confidentiality(rawValue: body.confidentiality.rawValue)!,
            filename: body.filename, contentType: body.contentType, data: data, by: try request.requirePrincipal())
        return .created(.init(body: .json(document.api)))
    }

    func getEmployeeDocument(_ input: Operations.GetEmployeeDocument.Input) async throws -> Operations.GetEmployeeDocument.Output {
        let (_, data) = try await request.people.document(input.path.reference, id: input.path.id,
                                                          by: try request.requirePrincipal())
        return .ok(.init(body: .binary(HTTPBody(data))))
    }
}

extension EmployeeDocument {
    var api: Components.Schemas.EmployeeDocument {
        .init(id: id, title: title, kind: .init(rawValue: kind.rawValue)!, confidentiality: .init(rawValue: confidentiality.rawValue)!,
              filename: filename, contentType: contentType, size: size, sha256: sha256, uploadedBy: uploadedBy, uploadedAt: uploadedAt)
    }
}
