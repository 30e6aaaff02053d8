"""The bikes REST API: garage, components and their windows, usage, what is due, ride bikes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from bikenode.bikes import assignments, garage, history, maintenance, reminders, sensors, service
from bikenode.bikes.access import OwnBike, OwnComponent, OwnReminder, OwnRide
from bikenode.bikes.logic.usage import Usage
from bikenode.bikes.models import Bike, Component, Installation, Reminder, ServiceEntry
from bikenode.bikes.schemas import (
    BatteryPublic,
    BikeCreate,
    BikeEventPublic,
    BikeHistory,
    BikePage,
    BikePublic,
    BikeUpdate,
    BikeUsagePage,
    BikeUsagePublic,
    ComponentCreate,
    ComponentPublic,
    ComponentTree,
    ComponentUpdate,
    ComponentUsagePublic,
    DueItem,
    DuePage,
    FittedPublic,
    InstallationPublic,
    InstallBody,
    IntervalPublic,
    PlacementPublic,
    PredictionPublic,
    ReminderPage,
    ReminderPublic,
    RemoveBody,
    RetireBody,
    RideBikePublic,
    RideBikeSet,
    SensorPage,
    SensorPublic,
    ServiceBody,
    ServicePublic,
    SnoozeBody,
    StatusPublic,
    UsagePublic,
)
from bikenode.db.base import utcnow
from bikenode.web.dependencies import CurrentUser, SessionDep
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["bikes"], route_class=StrictJSONRoute)


def _bike(bike: Bike) -> BikePublic:
    return BikePublic.model_validate(bike, from_attributes=True)


def _component(component: Component) -> ComponentPublic:
    interval = garage.interval_of(component)
    names = set(ComponentPublic.model_fields) - {"interval"}
    fields = {name: getattr(component, name) for name in names}
    return ComponentPublic(**fields, interval=IntervalPublic(**vars(interval)))


def _component_fields(body: ComponentCreate | ComponentUpdate, exclude: set[str]) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True, exclude=exclude | {"interval"})
    if "interval" in body.model_fields_set:
        interval = body.interval
        fields["interval_distance_m"] = interval.distance_m if interval else None
        fields["interval_moving_s"] = interval.moving_s if interval else None
        fields["interval_days"] = interval.days if interval else None
    return fields


def _usage(usage: Usage) -> UsagePublic:
    return UsagePublic(**vars(usage))


def _status(report: maintenance.ComponentUsage) -> StatusPublic:
    return StatusPublic(**vars(report.status))


def _prediction(report: maintenance.ComponentUsage) -> PredictionPublic | None:
    found = report.prediction
    if found is None:
        return None
    today = utcnow().date()
    due, earliest, latest = found.days_from(today)
    return PredictionPublic(
        due_on=found.due_on,
        earliest_on=found.earliest_on,
        latest_on=found.latest_on,
        due_in_days=due,
        earliest_in_days=earliest,
        latest_in_days=latest,
        distance_m_per_day=found.distance_m_per_day,
        seasonal=found.seasonal,
        summary=found.summary(today),
    )


def _window(window: Installation) -> InstallationPublic:
    return InstallationPublic.model_validate(window, from_attributes=True)


def _service(entry: ServiceEntry) -> ServicePublic:
    return ServicePublic.model_validate(entry, from_attributes=True)


def _fitted(fitted: maintenance.Fitted) -> FittedPublic:
    return FittedPublic(
        component=_component(fitted.component),
        position=fitted.window.position,
        installed_at=fitted.window.installed_at,
        parts=[_fitted(part) for part in fitted.parts],
    )


@router.get("/bikes", response_model=BikePage)
def list_bikes(user: CurrentUser, session: SessionDep) -> BikePage:
    """Your bikes, oldest first, retired ones included."""
    return BikePage(items=[_bike(b) for b in service.list_bikes(session, owner_id=user.id)])


@router.post("/bikes", status_code=status.HTTP_201_CREATED, response_model=BikePublic)
def create_bike(body: BikeCreate, user: CurrentUser, session: SessionDep) -> BikePublic:
    """Add a bike to your garage."""
    return _bike(service.create_bike(session, owner_id=user.id, fields=body.model_dump()))


@router.get("/bikes/usage", response_model=BikeUsagePage)
def bikes_usage(user: CurrentUser, session: SessionDep) -> BikeUsagePage:
    """Each of your bikes' distance, moving time, climbing and rides."""
    totals = history.bike_totals(session, owner_id=user.id)
    items = [BikeUsagePublic(bike_id=b, total=_usage(u)) for b, u in totals.items()]
    return BikeUsagePage(items=items)


@router.get("/sensors", response_model=SensorPage)
def list_sensors(user: CurrentUser, session: SessionDep) -> SensorPage:
    """Your sensors' batteries from your rides' files: status, volts, low, last charged."""
    found = sensors.list_sensors(session, owner_id=user.id)
    return SensorPage(items=[_sensor(s) for s in found])


def _sensor(sensor: sensors.Sensor) -> SensorPublic:
    battery = BatteryPublic(**vars(sensor.battery))
    return SensorPublic(
        serial=sensor.serial,
        kind=sensor.kind,
        battery=battery,
        bike_id=sensor.bike_id,
        bike_name=sensor.bike_name,
    )


@router.get("/bikes/{bike_id}/history", response_model=BikeHistory)
def bike_history(bike: OwnBike, user: CurrentUser, session: SessionDep) -> BikeHistory:
    """The bike's fittings, removals, swaps and services, oldest first."""
    events = history.bike_history(session, owner_id=user.id, bike_id=bike.id)
    return BikeHistory(bike_id=bike.id, items=[_event(e) for e in events])


def _event(event: history.BikeEvent) -> BikeEventPublic:
    return BikeEventPublic(
        at=event.at,
        kind=event.kind,
        component=_component(event.component),
        parent_component_id=event.parent.id if event.parent else None,
        parent_type=event.parent.type if event.parent else None,
        other_bike_id=event.other_bike_id,
        cost=event.entry.cost if event.entry else None,
        notes=event.entry.notes if event.entry else "",
    )


@router.get("/bikes/{bike_id}", response_model=BikePublic)
def read_bike(bike: OwnBike) -> BikePublic:
    """One of your bikes."""
    return _bike(bike)


@router.patch("/bikes/{bike_id}", response_model=BikePublic)
def update_bike(bike: OwnBike, body: BikeUpdate, session: SessionDep) -> BikePublic:
    """Change a bike's details; retired_at retires it (null brings it back)."""
    changes = body.model_dump(exclude_unset=True)
    return _bike(service.update_bike(session, bike=bike, changes=changes))


@router.delete("/bikes/{bike_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_bike(bike: OwnBike, session: SessionDep) -> Response:
    """Delete a bike; its components stay in your garage, fitted nowhere."""
    service.delete_bike(session, bike=bike)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/bikes/{bike_id}/components", response_model=ComponentTree)
def bike_components(
    bike: OwnBike,
    user: CurrentUser,
    session: SessionDep,
    at: Annotated[datetime | None, Query(description="default: now")] = None,
) -> ComponentTree:
    """What is fitted on the bike (at a moment), parts inside their parents."""
    moment = at or utcnow()
    tree = maintenance.bike_tree(session, owner_id=user.id, bike_id=bike.id, at=moment)
    return ComponentTree(bike_id=bike.id, at=moment, items=[_fitted(f) for f in tree])


@router.post(
    "/bikes/{bike_id}/components",
    status_code=status.HTTP_201_CREATED,
    response_model=ComponentPublic,
)
def create_component(
    bike: OwnBike, body: ComponentCreate, user: CurrentUser, session: SessionDep
) -> ComponentPublic:
    """Add a component and fit it on the bike (or inside one of its parts)."""
    parent = body.parent_component_id
    component = service.create_component(
        session,
        owner_id=user.id,
        fields=_component_fields(body, {"parent_component_id", "installed_at", "position"}),
        bike_id=None if parent else bike.id,
        parent_id=parent,
        installed_at=body.installed_at,
        position=body.position,
    )
    return _component(component)


@router.get("/components/{component_id}", response_model=ComponentPublic)
def read_component(component: OwnComponent) -> ComponentPublic:
    """One of your components."""
    return _component(component)


@router.patch("/components/{component_id}", response_model=ComponentPublic)
def update_component(
    component: OwnComponent, body: ComponentUpdate, session: SessionDep
) -> ComponentPublic:
    """Change a component's details or its service interval."""
    changes = _component_fields(body, set())
    return _component(service.update_component(session, component=component, changes=changes))


@router.post(
    "/components/{component_id}/install",
    status_code=status.HTTP_201_CREATED,
    response_model=InstallationPublic,
)
def install_component(
    component: OwnComponent, body: InstallBody, user: CurrentUser, session: SessionDep
) -> InstallationPublic:
    """Fit the component on a bike or inside another component from a moment on (it moves
    from where it was)."""
    window = service.install_component(
        session,
        owner_id=user.id,
        component_id=component.id,
        bike_id=body.bike_id,
        parent_id=body.parent_component_id,
        installed_at=body.installed_at,
        position=body.position,
    )
    return _window(window)


@router.post("/components/{component_id}/remove", response_model=InstallationPublic)
def remove_component(
    component: OwnComponent, body: RemoveBody, user: CurrentUser, session: SessionDep
) -> InstallationPublic:
    """Take the component off where it is fitted (its history stays)."""
    window = service.remove_component(
        session, owner_id=user.id, component_id=component.id, removed_at=body.removed_at
    )
    return _window(window)


@router.post(
    "/components/{component_id}/service",
    status_code=status.HTTP_201_CREATED,
    response_model=ServicePublic,
)
def log_service(
    component: OwnComponent, body: ServiceBody, user: CurrentUser, session: SessionDep
) -> ServicePublic:
    """Log a service or a replacement; the component's interval starts again."""
    entry = maintenance.log_service(
        session,
        owner_id=user.id,
        component_id=component.id,
        kind=body.kind,
        done_at=body.done_at,
        cost=body.cost,
        notes=body.notes,
    )
    return _service(entry)


@router.post("/components/{component_id}/retire", response_model=ComponentPublic)
def retire_component(
    component: OwnComponent, body: RetireBody, user: CurrentUser, session: SessionDep
) -> ComponentPublic:
    """Retire the component: taken off where it is, it stops counting."""
    retired = service.retire_component(
        session, owner_id=user.id, component_id=component.id, retired_at=body.retired_at
    )
    return _component(retired)


@router.get("/components/{component_id}/usage", response_model=ComponentUsagePublic)
def component_usage(
    component: OwnComponent, user: CurrentUser, session: SessionDep
) -> ComponentUsagePublic:
    """The component's usage from its rides, its interval and its service log."""
    report = maintenance.component_usage(session, owner_id=user.id, component_id=component.id)
    log = maintenance.service_log(session, owner_id=user.id, component_id=component.id)
    return ComponentUsagePublic(
        component_id=component.id,
        total=_usage(report.total),
        since_service=_usage(report.since_service),
        last_service_at=report.last_service_at,
        interval=IntervalPublic(**vars(report.interval)),
        status=_status(report),
        bike_id=report.bike_id,
        placements=[PlacementPublic(**vars(p)) for p in report.placements],
        service_log=[_service(e) for e in log],
        prediction=_prediction(report),
    )


@router.get("/maintenance/due", response_model=DuePage)
def maintenance_due(
    user: CurrentUser,
    session: SessionDep,
    warn_at: Annotated[float, Query(gt=0, le=1)] = 0.8,
) -> DuePage:
    """Every component in service, the most used part of its interval first."""
    reports = maintenance.due_list(session, owner_id=user.id, warn_at=warn_at)
    items = [
        DueItem(
            component=_component(r.component),
            bike_id=r.bike_id,
            since_service=_usage(r.since_service),
            status=_status(r),
            prediction=_prediction(r),
        )
        for r in reports
    ]
    return DuePage(warn_at=warn_at, items=items)


def _ride_bike(found: assignments.RideBike) -> RideBikePublic:
    return RideBikePublic(**vars(found))


@router.get("/rides/{ride_id}/bike", response_model=RideBikePublic)
def read_ride_bike(ride: OwnRide, session: SessionDep) -> RideBikePublic:
    """The bike one of your rides was ridden on, and why."""
    return _ride_bike(assignments.ride_bike(session, ride=ride))


@router.put("/rides/{ride_id}/bike", response_model=RideBikePublic)
def set_ride_bike(ride: OwnRide, body: RideBikeSet, session: SessionDep) -> RideBikePublic:
    """Put one of your rides on another bike (or none); its usage moves with it."""
    found = assignments.assign_ride(session, ride=ride, bike_id=body.bike_id)
    return _ride_bike(found)


def _reminder(reminder: Reminder) -> ReminderPublic:
    names = set(ReminderPublic.model_fields) - {"acknowledged"}
    fields = {name: getattr(reminder, name) for name in names}
    return ReminderPublic(**fields, acknowledged=reminder.acknowledged_at is not None)


@router.get("/maintenance/reminders", response_model=ReminderPage)
def list_reminders(
    user: CurrentUser,
    session: SessionDep,
    include_all: Annotated[
        bool, Query(alias="all", description="acknowledged and snoozed ones too")
    ] = False,
) -> ReminderPage:
    """Your components' threshold crossings (warn, due), the newest first."""
    found = reminders.list_reminders(session, owner_id=user.id, include_all=include_all)
    return ReminderPage(items=[_reminder(r) for r in found])


@router.post("/maintenance/reminders/{reminder_id}/snooze", response_model=ReminderPublic)
def snooze_reminder(reminder: OwnReminder, body: SnoozeBody, session: SessionDep) -> ReminderPublic:
    """Hide a reminder until a moment; it shows again then."""
    return _reminder(reminders.snooze_reminder(session, reminder=reminder, until=body.until))


@router.post("/maintenance/reminders/{reminder_id}/acknowledge", response_model=ReminderPublic)
def acknowledge_reminder(reminder: OwnReminder, session: SessionDep) -> ReminderPublic:
    """Mark a reminder dealt with: it leaves the list."""
    return _reminder(reminders.acknowledge_reminder(session, reminder=reminder))
